import nodeCron from 'node-cron';
export const nodeCronScheduler = {
    schedule: (expression, onTick) => nodeCron.schedule(expression, onTick, { name: 'bambuzled-sensor' }),
    validate: (expression) => nodeCron.validate(expression),
};
//# sourceMappingURL=scheduler-types.js.map