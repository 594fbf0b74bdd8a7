// The bench worker's workflows: the SPC's own, plus the ceiling workflow the benchmark compares against.
export * from '../workflows';
export { ceilingWorkflow } from './ceiling-workflow';
