import type { ActionReport } from './report.js';
import { buildStepSummary } from './summary.js';

/** The hidden marker that identifies this Action's comment on a pull request. */
export function commentMarker(key: string): string {
  return `<!-- catalog-crawl:${key} -->`;
}

/**
 * A stable key for one comment per workflow, job and vendor (so a matrix of vendors keeps one comment each,
 * updated on every push). Only characters that cannot end the HTML comment are kept.
 */
export function commentKey(
  env: Record<string, string | undefined>,
  report: ActionReport | readonly ActionReport[],
): string {
  const reports: readonly ActionReport[] = Array.isArray(report) ? report : [report as ActionReport];
  const subject = reports
    .map((r) => r.crawl?.vendor ?? r.vendor ?? r.label ?? r.executionId ?? 'crawl')
    .sort()
    .join('+')
    .slice(0, 200);
  return [env['GITHUB_WORKFLOW'] ?? 'workflow', env['GITHUB_JOB'] ?? 'job', subject]
    .map((part) => part.replace(/[^A-Za-z0-9._-]+/g, '_'))
    .join('/');
}

export function runUrl(env: Record<string, string | undefined>): string | undefined {
  const server = env['GITHUB_SERVER_URL'];
  const repo = env['GITHUB_REPOSITORY'];
  const run = env['GITHUB_RUN_ID'];
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

/** The comment body: marker, the summary, and a link to the run. */
export function buildComment(
  report: ActionReport | readonly ActionReport[],
  marker: string,
  link: string | undefined,
): string {
  const footer = link ? `\n<sub>Updated by [this workflow run](${link}).</sub>\n` : '';
  const reports: readonly ActionReport[] = Array.isArray(report) ? report : [report as ActionReport];
  return `${marker}\n${buildStepSummary(reports)}${footer}`;
}

interface CommentLike {
  id: number;
  body?: string | null | undefined;
}

/** The subset of an Octokit the comment needs (injectable for tests). */
export interface CommentApi {
  listComments(params: { owner: string; repo: string; issue_number: number }): Promise<CommentLike[]>;
  createComment(params: {
    owner: string;
    repo: string;
    issue_number: number;
    body: string;
  }): Promise<unknown>;
  updateComment(params: { owner: string; repo: string; comment_id: number; body: string }): Promise<unknown>;
}

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

/** Creates the comment, or updates the one carrying the marker. Returns what it did. */
export async function upsertComment(
  api: CommentApi,
  pr: PullRequestRef,
  marker: string,
  body: string,
): Promise<'created' | 'updated'> {
  const comments = await api.listComments({ owner: pr.owner, repo: pr.repo, issue_number: pr.number });
  const existing = comments.find((comment) => comment.body?.includes(marker));
  if (existing) {
    await api.updateComment({ owner: pr.owner, repo: pr.repo, comment_id: existing.id, body });
    return 'updated';
  }
  await api.createComment({ owner: pr.owner, repo: pr.repo, issue_number: pr.number, body });
  return 'created';
}

/** The shape of @actions/github this file uses. */
export interface GithubModule {
  context: {
    repo: { owner: string; repo: string };
    payload: {
      pull_request?: { number: number } | undefined;
      issue?: { number: number; pull_request?: unknown } | undefined;
    };
  };
  // biome-ignore lint/suspicious/noExplicitAny: Octokit's generated types are not needed here.
  getOctokit(token: string): any;
}

/**
 * Keeps one comment on the pull request up to date. @actions/github is imported only here, on demand, so a
 * plain wait does not load it. Returns a line for the log.
 */
export async function commentOnPullRequest(
  report: ActionReport | readonly ActionReport[],
  token: string,
  env: Record<string, string | undefined>,
  load: () => Promise<GithubModule> = async () =>
    (await import('@actions/github')) as unknown as GithubModule,
): Promise<string> {
  const github = await load();
  const payload = github.context.payload;
  const number =
    payload.pull_request?.number ?? (payload.issue?.pull_request ? payload.issue.number : undefined);
  if (number === undefined) return 'comment-on-pr: this run is not for a pull request; no comment written.';
  const octokit = github.getOctokit(token);
  const pr: PullRequestRef = { ...github.context.repo, number };
  const api: CommentApi = {
    listComments: (params) =>
      octokit.paginate(octokit.rest.issues.listComments, { ...params, per_page: 100 }),
    createComment: (params) => octokit.rest.issues.createComment(params),
    updateComment: (params) => octokit.rest.issues.updateComment(params),
  };
  const marker = commentMarker(commentKey(env, report));
  const what = await upsertComment(api, pr, marker, buildComment(report, marker, runUrl(env)));
  return `comment-on-pr: ${what} the comment on pull request #${number}.`;
}
