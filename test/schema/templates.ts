// Every file `rx init --template` copies is valid: the pipeline expands, the data spec, the
// augmentation specs and the model configs parse, the models fit the template's images, and
// params.yaml's train: section is a valid override. A template that breaks fails here, not in
// a user's first `rx repro`.
import t from 'tap';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadPipelineFrom, workspaceReader } from '../../src/pipeline/definition.js';
import { parseDataSpec } from '../../src/data/spec.js';
import { parseAugmentSpec } from '../../src/augment/index.js';
import { parseModelConfig, planModel, resolveTraining } from '../../src/model/config.js';
import { readSearchSpec } from '../../src/search/spec.js';
import { applyConfig, checkSpaceAgainstProject } from '../../src/search/targets.js';
import { samplePrior } from '../../src/search/space.js';
import { streamFor } from '../../src/search/rng.js';

const root = path.resolve(import.meta.dirname, '..', '..', 'templates');
const images: Record<string, [number, number, number]> = { digits: [8, 8, 1], 'fashion-mnist': [28, 28, 1] };

for (const name of readdirSync(root)) {
  const dir = path.join(root, name);
  const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');
  const ls = (sub: string) => (existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub)).filter((f) => f.endsWith('.yaml')) : []);
  t.test(`template ${name}`, async (t) => {
    const pipeline = await loadPipelineFrom(workspaceReader(dir));
    t.ok(pipeline, 'rx.yaml expands');
    t.same(pipeline!.stages.map((s) => s.name).sort(), ['evaluate', 'prepare', 'train']);
    for (const s of pipeline!.stages) for (const d of s.deps) if (!s.deps.some((x) => x !== d && d.startsWith(x + '/')) && !pipeline!.stages.some((p) => p.outs.some((o) => d === o.path || d.startsWith(o.path + '/')))) {
      t.ok(existsSync(path.join(dir, d)) || d.startsWith('data/fashion-mnist'), `${s.name}: dependency ${d} ships with the template (or is copied in by init)`);
    }
    for (const f of ls('data')) t.ok(parseDataSpec(`data/${f}`, read(`data/${f}`)).spec.sources, `data/${f} parses`);
    for (const f of ls('augment')) t.ok(parseAugmentSpec(`augment/${f}`, read(`augment/${f}`)).ops.length > 0, `augment/${f} parses`);
    const params = (parseYaml(read('params.yaml')) as { train?: Record<string, unknown> }).train ?? {};
    for (const f of ls('models')) {
      const loaded = parseModelConfig(`models/${f}`, read(`models/${f}`));
      const settings = resolveTraining(loaded.config, params);
      const plan = planModel(loaded.config, images[name]!, 10, settings.width, loaded.file, loaded.locate);
      t.ok(plan.params > 0, `models/${f} fits ${images[name]!.join('x')} images (${plan.params} parameters)`);
    }
    // The joint search: its paths and objective fit the template, and prior draws make valid files.
    const searches = ls('search');
    t.ok(searches.length > 0, 'a joint search spec ships');
    for (const f of searches) {
      const spec = readSearchSpec(`search/${f}`, read(`search/${f}`));
      await checkSpaceAgainstProject(spec, workspaceReader(dir), pipeline);
      for (let i = 0; i < 20; i++) {
        const edits = await applyConfig(spec, samplePrior(spec.space, streamFor(1, i, 'template')), workspaceReader(dir));
        t.ok(edits.size > 0, `search/${f}: prior draw ${i} writes valid files`);
      }
      t.ok(new Set(spec.space.params.map((p) => p.path.split(':')[0]!.split('/')[0])).size >= 3, `search/${f} spans the model, the data and the augmentation`);
    }
  });
}
