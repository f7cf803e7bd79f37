import { describe, expect, it, vi } from 'vitest';
import {
  type CommentApi,
  commentKey,
  commentMarker,
  commentOnPullRequest,
  type GithubModule,
  upsertComment,
} from '../src/comment.js';
import type { ActionReport } from '../src/report.js';
import { completedCrawl, history } from './fixtures.js';

const report: ActionReport = {
  outcome: 'completed',
  executionId: 'crawl-skims-com-a1b2c3d4',
  crawl: completedCrawl(),
  history: history(),
  elapsedMs: 1000,
};
const env = {
  GITHUB_WORKFLOW: 'Crawl vendors',
  GITHUB_JOB: 'crawl',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'o/r',
  GITHUB_RUN_ID: '42',
};

function fakeApi(existing: { id: number; body: string }[]) {
  const api = {
    listComments: vi.fn(async () => existing),
    createComment: vi.fn(async () => ({})),
    updateComment: vi.fn(async () => ({})),
  };
  return api satisfies CommentApi;
}

describe('PR comment', () => {
  it('has a stable hidden marker per workflow, job and vendor', () => {
    expect(commentKey(env, report)).toBe('Crawl_vendors/crawl/skims.com');
    expect(commentMarker('k')).toBe('<!-- catalog-crawl:k -->');
    expect(commentKey({ GITHUB_WORKFLOW: 'a-->b' }, report)).not.toContain('-->');
  });

  it('creates the comment when none carries the marker, updates it otherwise', async () => {
    const pr = { owner: 'o', repo: 'r', number: 7 };
    const empty = fakeApi([{ id: 1, body: 'hello' }]);
    expect(await upsertComment(empty, pr, '<!-- catalog-crawl:k -->', 'body')).toBe('created');
    expect(empty.createComment).toHaveBeenCalledWith({
      owner: 'o',
      repo: 'r',
      issue_number: 7,
      body: 'body',
    });
    const found = fakeApi([
      { id: 1, body: 'hello' },
      { id: 2, body: 'x <!-- catalog-crawl:k --> y' },
    ]);
    expect(await upsertComment(found, pr, '<!-- catalog-crawl:k -->', 'body2')).toBe('updated');
    expect(found.updateComment).toHaveBeenCalledWith({ owner: 'o', repo: 'r', comment_id: 2, body: 'body2' });
    expect(found.createComment).not.toHaveBeenCalled();
  });

  it('goes through @actions/github only for pull requests', async () => {
    const created: unknown[] = [];
    const octokit = {
      paginate: vi.fn(async () => []),
      rest: {
        issues: {
          listComments: {},
          createComment: vi.fn(async (params: unknown) => created.push(params)),
          updateComment: vi.fn(),
        },
      },
    };
    const github = (payload: GithubModule['context']['payload']): (() => Promise<GithubModule>) => {
      return async () => ({
        context: { repo: { owner: 'o', repo: 'r' }, payload },
        getOctokit: () => octokit,
      });
    };
    expect(await commentOnPullRequest(report, 't', env, github({}))).toMatch(/not for a pull request/);
    expect(await commentOnPullRequest(report, 't', env, github({ pull_request: { number: 9 } }))).toBe(
      'comment-on-pr: created the comment on pull request #9.',
    );
    const body = (created[0] as { body: string }).body;
    expect(body.startsWith('<!-- catalog-crawl:Crawl_vendors/crawl/skims.com -->\n## ✅')).toBe(true);
    expect(body).toContain('https://github.com/o/r/actions/runs/42');
  });
});
