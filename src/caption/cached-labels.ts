/**
 * The tagger's label list for tag autocompletion, from files already on this machine only
 * ([caption] model_dir, else the Hugging Face cache of `tack caption`): never a download.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathExists } from '../core/index.js';
import { findCachedHubFile, hubCacheDir } from '../io/index.js';
import type { Project } from '../project/index.js';
import { CATEGORY, parseSelectedTags } from './wd14/labels.js';
import { resolveTaggerModel, taggerDirCandidates, TAGGER_LABELS_FILE } from './wd14/models.js';
import { processLabelName } from './wd14/postprocess.js';

/** General and character label names as captions write them (empty when the tagger is not here yet). */
export async function readCachedTaggerLabels(project: Project, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const settings = project.config.caption;
  let file: string | undefined;
  if (settings.model_dir) {
    const dir = path.resolve(project.paths.root, settings.model_dir);
    for (const candidate of taggerDirCandidates(dir, resolveTaggerModel(settings.model).repo)) {
      const f = path.join(candidate, TAGGER_LABELS_FILE);
      if (await pathExists(f)) {
        file = f;
        break;
      }
    }
  } else {
    file = (await findCachedHubFile(hubCacheDir(env), { repo: resolveTaggerModel(settings.model).repo, file: TAGGER_LABELS_FILE }).catch(() => undefined))?.path;
  }
  if (!file) return [];
  const labels = parseSelectedTags(await readFile(file, 'utf8'), file);
  return labels
    .filter((l) => l.category === CATEGORY.general || l.category === CATEGORY.character)
    .map((l) => processLabelName(l, { removeUnderscore: settings.remove_underscore, characterTagExpand: false, tagReplacements: [] }));
}
