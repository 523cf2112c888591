// Rollout split (kamal-proxy's RolloutController): the `kamal-rollout` cookie value picks the
// rollout group when it is allow-listed or its FNV-1a hash falls under the percentage.

export const ROLLOUT_COOKIE = "kamal-rollout";

export class RolloutController {
  readonly splitPoint: number;

  constructor(
    readonly percentage: number,
    readonly allowlist: readonly string[],
  ) {
    this.splitPoint = Math.floor((percentage / 100) * 0xffffffff);
  }

  usesRollout(cookieValue: string | undefined): boolean {
    if (cookieValue === undefined || cookieValue === "") return false;
    if (this.allowlist.includes(cookieValue)) return true;
    return this.percentage > 0 && fnv32a(cookieValue) <= this.splitPoint;
  }
}

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, "utf8");
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
