/**
 * Type-level checks of game specifications, compiled by test/game-types.test.ts
 * (and by `npm run typecheck`): each `@ts-expect-error` line must fail to
 * typecheck, or tsc reports the directive as unused.
 */
import { makeEnv } from '../../src/env.js';
import type { GameConfig, GameSpec } from '../../src/games.js';
import { rollout } from '../../src/rollout.js';

export async function typeChecks(): Promise<void> {
  // Accepted: each game's own parameters.
  const ok: GameSpec[] = [
    'ipd',
    { id: 'matrix', params: { preset: 'stag-hunt', rounds: 5 } },
    { id: 'matrix', params: { payoffs: [3, 3, 0, 5, 5, 0, 1, 1] } },
    { id: 'public-goods', params: { players: 3, multiplier: 1.6 } },
    { id: 'coin', params: { size: 4, stay: true } },
    { id: 'trust-and-split', params: { messages: ['none', 'take-5'] } },
    { id: 'negotiation' },
  ];
  void ok;

  // @ts-expect-error an unknown matrix preset
  await rollout({ game: { id: 'matrix', params: { preset: 'stag-hunts' } }, policies: ['tit-for-tat', 'tit-for-tat'], batch: 1 });
  // @ts-expect-error a parameter of another game (public-goods' players on the IPD)
  const wrongGame: GameConfig = { id: 'ipd', params: { players: 4 } };
  // @ts-expect-error a parameter of the wrong type
  const wrongType: GameConfig = { id: 'coin', params: { stay: 1 } };
  // @ts-expect-error an unknown game id
  const unknownGame: GameSpec = { id: 'prisoners-dilemma' };
  // @ts-expect-error makeEnv with a parameter the game does not have
  makeEnv('split', { coins: 10 }, { batch: 1 });
  void [wrongGame, wrongType, unknownGame];
}
