import path from 'node:path';
import { initProject } from '../../project/index.js';
import { requireOption, stringOption, type CommandSpec } from '../command.js';
import { printFindings } from '../render.js';

export const initCommand: CommandSpec = {
  name: 'init',
  summary: 'Create a project folder with a tack.toml',
  usage: 'init <dir> --token <trigger> --class <woman|man|person|...> [--name <lora-name>] [--captioner wd14|sentence|none]',
  details: `Creates <dir> (or uses an empty existing folder) with tack.toml, photos/ and captions/.
The trigger token is a made-up word put first in every caption (e.g. xanrms); the class word
says what the subject is (woman, man, person, ...). Example:
  tack init my-lora --token xanrms --class woman`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder to create.' }],
  options: {
    token: { type: 'string', value: '<trigger>', description: 'Trigger token, a made-up word such as xanrms.' },
    class: { type: 'string', value: '<word>', description: 'Class word: woman, man, person, or a concept word.' },
    name: { type: 'string', value: '<name>', description: 'LoRA file name (default: the folder name).' },
    captioner: { type: 'string', value: '<kind>', description: 'wd14 (default), sentence or none.' },
    'base-model': { type: 'string', value: '<file>', description: 'Base checkpoint .safetensors (can be set later in tack.toml).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const token = requireOption(values, 'token', 'tack init my-lora --token xanrms --class woman');
    const className = requireOption(values, 'class', 'tack init my-lora --token xanrms --class woman');
    const captioner = stringOption(values, 'captioner');
    const baseModel = stringOption(values, 'base-model');
    const name = stringOption(values, 'name');
    const { project } = await initProject(dir, {
      token,
      className,
      ...(name ? { name } : {}),
      settings: {
        ...(captioner ? { captioner: captioner as 'wd14' } : {}),
        ...(baseModel ? { base_model: baseModel } : {}),
      },
    });
    if (ctx.json) {
      ctx.printJson({ kind: 'init', project: project.paths.root, config: project.config, findings: project.findings });
      return;
    }
    ctx.print(`Created ${project.paths.configFile}`);
    printFindings(ctx, project.findings);
    ctx.print();
    ctx.print(`Next: add your photos with  tack add ${positionals[0]} <photos or folders>`);
  },
};
