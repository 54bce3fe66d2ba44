// rx checkout: makes the workspace match the pointer files (and, without paths, rx.lock's
// cached outputs). The checkout lives in pipeline/checkout.ts, shared with exp apply and
// every sandbox.
import type { Context } from '../core/context.js';
import { checkoutWorkspace, type CheckoutOptions, type CheckoutResult } from '../pipeline/checkout.js';

export type { CheckoutOptions, CheckoutResult, CheckedOutPath } from '../pipeline/checkout.js';

export function checkout(ctx: Context, options: CheckoutOptions): Promise<CheckoutResult> {
  return checkoutWorkspace(ctx, options);
}
