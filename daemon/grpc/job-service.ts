// SPDX-License-Identifier: Apache-2.0
// JobService: adapts wire requests to the JobManager. SubmitJob and
// GetJobResult, whose requests carry IAM fields, live in iam/job-methods.ts.
import type * as grpc from '@grpc/grpc-js'
import { AgentError } from '../errors'
import type { JobManager } from '../jobs/manager'
import { JOB_STATES, TERMINAL_STATES, type JobRow, type JobState } from '../store/jobs'
import { jobMessage, timestamp } from './convert'
import { serverStream, unary, type HandlerContext } from './handlers'
import { reasonText } from '../text'

type Req = Record<string, any>

export function jobService(ctx: HandlerContext, jobs: JobManager): grpc.UntypedServiceImplementation {
  const msg = (j: JobRow) => jobMessage(j, j.state === 'QUEUED' ? jobs.waitReason(j.id) : undefined)
  return {
    GetJob: unary<Req, unknown>(ctx, 'GetJob', (p, r) => msg(jobs.get(p, r.job_id))),

    ListJobs: unary<Req, unknown>(ctx, 'ListJobs', (p, r) => {
      const states = (r.states as string[]).map((s) => {
        if (!(JOB_STATES as readonly string[]).includes(s)) {
          throw new AgentError('Z3_INVALID_ARGUMENT', `states holds "${s}", which is not a job state.`)
        }
        return s as JobState
      })
      const page = jobs.list(p, r.page_size, r.page_token, states)
      return { jobs: page.jobs.map((j) => msg(j)), next_page_token: page.next }
    }),

    CancelJob: unary<Req, unknown>(ctx, 'CancelJob', (p, r) =>
      msg(jobs.cancel(p, r.job_id, reasonText(r.reason))),
    ),


    WatchJob: serverStream<Req, unknown>(ctx, 'WatchJob', (p, call) => {
      const id = call.request.job_id
      // A live transition is stamped as it is seen; the snapshot a watch
      // opens with carries the time the job entered its current state.
      const event = (j: JobRow, message: string, at = Date.now()) => ({
        job_id: j.id,
        state: j.state,
        time: timestamp(at),
        message,
        job: msg(j),
      })
      // Subscribe before reading the current state, so no transition falls
      // between the two.
      let lastState: string | undefined
      const onJob = (j: JobRow, at?: number) => {
        if (j.id !== id) return
        if (j.state === lastState) return
        lastState = j.state
        call.write(event(j, '', at))
        if (TERMINAL_STATES.has(j.state)) finish()
      }
      const finish = () => {
        jobs.off('job', onJob)
        call.end()
      }
      jobs.on('job', onJob)
      call.on('cancelled', () => jobs.off('job', onJob))
      let current: JobRow
      try {
        current = jobs.get(p, id)
      } catch (err) {
        jobs.off('job', onJob)
        throw err
      }
      const entered = TERMINAL_STATES.has(current.state)
        ? current.finished_at
        : current.state === 'RUNNING'
          ? current.started_at
          : current.attempts === 0
            ? current.created_at
            : null
      onJob(current, entered ?? undefined)
    }),
  }
}
