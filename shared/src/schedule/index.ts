// The scheduling engine's pure part: window arithmetic and the day planner (DESIGN §5).
export * from './types.js';
export * from './windows.js';
export { planDay } from './planner.js';
