/**
 * The serving container's routes on every provider: SageMaker's contract (GET /ping, POST
 * /invocations on port 8080), which Vertex and Azure ML are told to use, so one image serves on all three.
 */
export const CONTAINER_ROUTES = { port: 8080, health: '/ping', scoring: '/invocations' } as const;
