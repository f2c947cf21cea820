/** ECS allows at most this many tasks in one service. */
export const ECS_MAX_TASKS_PER_SERVICE = 5000;
/** The ECS service scheduler launches at most this many tasks per minute per service. */
export const ECS_LAUNCH_RATE_PER_MINUTE = 500;
