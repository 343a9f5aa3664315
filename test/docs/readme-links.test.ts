import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Every Markdown link target in the repository's own documents. */
function linksOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#'));
}

describe('documents link only to files inside the repository', () => {
  const docs = ['README.md', 'docs/call-flow.md', 'deploy/README.md', 'audio/README.md', 'content/README.md', 'data/gazetteer/README.md']
    .filter((f) => fs.existsSync(path.join(ROOT, f)));

  it.each(docs)('%s: every relative link exists and stays in the repository', (doc) => {
    for (const link of linksOf(path.join(ROOT, doc))) {
      const target = path.resolve(path.dirname(path.join(ROOT, doc)), link.split('#')[0]);
      expect({ link, inside: target.startsWith(ROOT + path.sep) }).toEqual({ link, inside: true });
      expect({ link, exists: fs.existsSync(target) }).toEqual({ link, exists: true });
    }
  });

  it('the README names nothing in the sibling ../shared folder a fresh clone lacks', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('docs/call-flow.md');
    expect(readme).not.toMatch(/\.\.\/shared\/product/);
  });

  it('the gazetteer ships with its source licence', () => {
    const licence = fs.readFileSync(path.join(ROOT, 'data/gazetteer/LICENSE-pumi.txt'), 'utf8');
    expect(licence).toMatch(/Copyright \(c\) 2019 David Wilkie/);
    expect(licence).toMatch(/Permission is hereby granted/);
  });
});
