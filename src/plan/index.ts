export { planRecipe, planAlternativeSplits, kohyaFolderName, RECIPE_IMAGE_RANGE, type RecipePlan, type RecipeTargets, type RecipeAlternative } from './recipe.js';
export { countEngineSteps, type BucketCount, type EngineSteps, type EngineStepOptions, type EngineBucketLine } from './engine-steps.js';
export { explainPlan } from './explain.js';
export { buildProjectPlan, bucketOptionsFrom, countBuckets, type ProjectPlan, type ProjectPlanInput, type PlanAlternative } from './project-plan.js';
