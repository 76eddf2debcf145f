/**
 * The 'tournament' job kind that `dilemma worker` serves: one job's pairs of
 * a population, played for every seed of the plan (see tournament-jobs.ts).
 */
import type { JobContext } from './job-context.js';
import { runTournamentJob, type TournamentJobData, type TournamentJobResult } from './tournament-jobs.js';

/** The processor of a 'tournament' job; its return value is the job's numbers, merged by the submitting side. */
export async function tournamentJob(job: JobContext<TournamentJobData>): Promise<TournamentJobResult> {
  return runTournamentJob(job.data);
}
