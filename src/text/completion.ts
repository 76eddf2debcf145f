/**
 * The shape a chat completion must have before anything is taken from it.
 * A body that does not match is an error, never an empty reply, and token
 * counts that are not plain counts never reach the usage totals.
 */
import { z } from 'zod';
import type { TokenUsage } from './types.js';

/** Largest token count one reply may report; anything bigger is a broken or hostile endpoint. */
export const MAX_TOKENS_PER_CALL = 2 ** 31 - 1;

const tokenCount = z.number().int().min(0).max(MAX_TOKENS_PER_CALL);

const choice = z.object({
  // content is null for replies that carry only tool calls or a refusal.
  message: z.object({ content: z.string().nullish() }),
  finish_reason: z.string().nullish(),
});

export const completionSchema = z.object({
  choices: z.array(choice).min(1),
  usage: z.object({ prompt_tokens: tokenCount.nullish(), completion_tokens: tokenCount.nullish() }).nullish(),
});

export interface ParsedCompletion {
  text: string;
  finishReason: string | null;
  usage: TokenUsage;
}

/** The first choice and the usage of a parsed JSON body, or a description of what is wrong. */
export function parseCompletion(json: unknown): { ok: true; value: ParsedCompletion } | { ok: false; problem: string } {
  const choices = (json as { choices?: unknown } | null)?.choices;
  if (Array.isArray(choices) && choices.length === 0) return { ok: false, problem: 'without choices' };
  const r = completionSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.path.length === 0 ? 'the body' : issue.path.map(String).join('.');
    return { ok: false, problem: `with a malformed completion (${at}: ${issue.message})` };
  }
  const first = r.data.choices[0];
  return {
    ok: true,
    value: {
      text: first.message.content ?? '',
      finishReason: first.finish_reason ?? null,
      usage: { promptTokens: r.data.usage?.prompt_tokens ?? null, completionTokens: r.data.usage?.completion_tokens ?? null },
    },
  };
}
