export { SurgeGuard, DEFAULT_NAME_PREFIX, namePrefixProblem } from './surgeguard';
export type { SurgeGuardProps, ControllerName } from './surgeguard';
export { SurgeGuardStack } from './surgeguard-stack';
export type { SurgeGuardStackProps } from './surgeguard-stack';
export { runtimeForRegion, fleetRegions, eventSchedules } from './runtime-for-region';
export { buildApp } from './app';
export type { BuildAppOptions } from './app';
export { addNagSuppressions } from './nag-suppressions';
export type { PlanAnnotationOptions } from './plan-annotations';
