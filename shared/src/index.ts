// The protocol and the domain rules that more than one side needs. Pure code, no I/O (DESIGN §2).
export * from './protocol/topics.js';
export * from './protocol/messages.js';
export * from './protocol/decode.js';
export * from './time/zoned.js';
export * from './schedule/index.js';
