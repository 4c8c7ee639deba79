/**
 * SageMaker answers a call about something that is not there with a ValidationException whose
 * message says so ("Could not find endpoint ...", "ModelPackage ... does not exist"), not with a
 * distinct error code; these read that answer in one place.
 */
export function isMissing(e: unknown): boolean {
  return /could not find|does not exist|not found/i.test((e as Error)?.message ?? '');
}

/** The call's answer, or undefined when SageMaker says what it names is not there. */
export async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
