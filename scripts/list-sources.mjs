// Prints the source files below a folder for binding.gyp, so adding a file
// to native/ needs no edit of the build description.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, ext] = process.argv.slice(2);
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(ext) ? [join(d, e.name)] : [],
  );
console.log(walk(dir).sort().map((f) => relative('.', f)).join(' '));
