/**
 * Where everything lives inside a project folder. This is the one place that knows the layout;
 * README.md ("Project folder") documents it for users.
 *
 *   tack.toml               settings (tack init writes it; edit freely)
 *   photos/                 the imported photos, byte-for-byte copies of the user's files
 *   captions/<stem>.txt     one UTF-8 caption per photo (hand-written or from tack caption)
 *   .tack/                  tack's own state: import index, doctor cache (safe to delete)
 *   dataset/img/<repeats>_<token> <class>/   the training-ready kohya folder (tack prepare)
 *   dataset/manifest.json   what prepare wrote, from which photo
 *   runs/<id>/              one folder per training run
 */
import path from 'node:path';

export interface ProjectPaths {
  readonly root: string;
  readonly configFile: string;
  readonly photosDir: string;
  readonly captionsDir: string;
  readonly stateDir: string;
  readonly photoIndexFile: string;
  readonly doctorCacheDir: string;
  readonly datasetDir: string;
  readonly datasetImgDir: string;
  readonly manifestFile: string;
  readonly runsDir: string;
}

export const CONFIG_FILE_NAME = 'tack.toml';

export function projectPaths(root: string): ProjectPaths {
  const abs = path.resolve(root);
  const state = path.join(abs, '.tack');
  return {
    root: abs,
    configFile: path.join(abs, CONFIG_FILE_NAME),
    photosDir: path.join(abs, 'photos'),
    captionsDir: path.join(abs, 'captions'),
    stateDir: state,
    photoIndexFile: path.join(state, 'photos.json'),
    doctorCacheDir: path.join(state, 'cache', 'doctor'),
    datasetDir: path.join(abs, 'dataset'),
    datasetImgDir: path.join(abs, 'dataset', 'img'),
    manifestFile: path.join(abs, 'dataset', 'manifest.json'),
    runsDir: path.join(abs, 'runs'),
  };
}

/** The caption file of a photo: captions/<photo stem>.txt. */
export function captionPathFor(paths: ProjectPaths, photoFile: string): string {
  return path.join(paths.captionsDir, `${path.parse(photoFile).name}.txt`);
}
