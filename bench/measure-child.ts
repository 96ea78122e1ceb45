/**
 * The measuring child's entry point (see compiled-child.ts): runs
 * measurePlan for the request in argv and sends the result back over IPC.
 */
import { measurePlan, type MeasureRequest } from './measure-plan.js';

measurePlan(JSON.parse(process.argv[2]!) as MeasureRequest)
  .then((result) => new Promise<void>((resolve) => process.send!(result, () => resolve())))
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
