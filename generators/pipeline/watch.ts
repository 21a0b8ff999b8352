/**
 * Watch mode's file watching. Editors save in three ways: in place, by writing a temporary file
 * and renaming it over the original (vim, JetBrains' safe write, `sed -i`), and by deleting and
 * creating. A watch on a file follows its inode, which a rename replaces, so the next saves go
 * unseen; Node's recursive watch on Linux watches files that way. Here every directory of the
 * inputs is watched on its own, non-recursively: a directory's inotify watch reports any name
 * created, renamed into it or changed, however often the file behind the name is replaced.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

export interface WatchTarget {
  /** A directory to watch with everything below it, or a single file (its directory is watched). */
  path: string;
  /** Names of directories below it that are not inputs (tests, fixtures, goldens). */
  ignore?: readonly string[];
}

/** Every directory at and below `root`, except ignored names. */
async function directories(root: string, ignore: ReadonlySet<string>): Promise<string[]> {
  const found = [root];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && !ignore.has(entry.name)) found.push(...(await directories(path.join(root, entry.name), ignore)));
  }
  return found;
}

/**
 * Calls `onChange(file)` for every change to a file under the targets. Returns a function
 * that stops watching. New directories are picked up as they appear.
 */
export async function watchInputs(targets: readonly WatchTarget[], onChange: (file: string) => void): Promise<() => void> {
  const watchers = new Map<string, FSWatcher>();
  const add = async (directory: string, only: string | undefined, ignore: ReadonlySet<string>) => {
    if (watchers.has(directory) || !existsSync(directory)) return;
    const watcher = watch(directory, (_event, name) => {
      if (!name) return;
      const file = path.join(directory, name.toString());
      if (only !== undefined && file !== only) return;
      if (ignore.has(name.toString())) return;
      // A directory created under a watched one is watched too.
      if (only === undefined && !name.toString().includes(".")) void add(file, undefined, ignore).catch(() => {});
      onChange(file);
    });
    watcher.on("error", () => watchers.delete(directory));
    watchers.set(directory, watcher);
  };
  for (const target of targets) {
    const ignore = new Set(target.ignore ?? []);
    if (existsSync(target.path) && !(await readdir(target.path).catch(() => undefined))) {
      await add(path.dirname(target.path), target.path, ignore);
      continue;
    }
    for (const directory of await directories(target.path, ignore)) await add(directory, undefined, ignore);
  }
  return () => {
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
