export { SockjwtModule } from './sockjwt.module.js';
export { SockjwtService } from './sockjwt.service.js';
export type { ProtectableTarget } from './sockjwt.service.js';
export { SockjwtIoAdapter } from './sockjwt-io.adapter.js';
export { Claims } from './claims.decorator.js';
export { ClaimsGuard, ClaimsRefusalFilter, ClaimsRefusedException, RequireClaims } from './require-claims.js';
export { SOCKJWT_OPTIONS } from './tokens.js';
export type { SockjwtModuleAsyncOptions, SockjwtModuleOptions } from './options.js';
