import { defineErrors } from '../core/index.js';

export const projectErrors = defineErrors({
  PROJECT_NOT_FOUND: { category: 'input', summary: 'the project folder or its tack.toml does not exist' },
  PROJECT_EXISTS: { category: 'input', summary: '`tack init` was pointed at a folder that already holds a project' },
  PROJECT_BAD_CONFIG: { category: 'input', summary: 'tack.toml has unknown keys, wrong types or invalid values' },
  PROJECT_BAD_TOKEN: { category: 'input', summary: 'the trigger token cannot be used (spaces, commas, shell or path characters)' },
  PROJECT_BAD_CLASS: { category: 'input', summary: 'the class word cannot be used in a kohya folder name' },
});
