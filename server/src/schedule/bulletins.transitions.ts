// The bulletin state machine (DESIGN §4), in one place so the accounts issue (#4) can check roles
// here: draft → submitted → approved → on air → expired/withdrawn; submitted → rejected → submitted.
export type BulletinState = 'draft' | 'submitted' | 'approved' | 'on_air' | 'expired' | 'withdrawn' | 'rejected';
export type BulletinAction = 'submit' | 'approve' | 'reject' | 'withdraw';

export const TRANSITIONS: Record<BulletinAction, { from: readonly BulletinState[]; to: BulletinState }> = {
  submit: { from: ['draft', 'rejected'], to: 'submitted' },
  approve: { from: ['submitted'], to: 'approved' },
  reject: { from: ['submitted'], to: 'rejected' },
  withdraw: { from: ['draft', 'submitted', 'approved', 'on_air'], to: 'withdrawn' },
};

/** States whose bulletins enter plans (rule 3: only approved bulletins air). */
export const PLANNED_STATES: readonly BulletinState[] = ['approved', 'on_air'];

export function nextState(action: BulletinAction, from: BulletinState): BulletinState | undefined {
  const t = TRANSITIONS[action];
  return t.from.includes(from) ? t.to : undefined;
}
