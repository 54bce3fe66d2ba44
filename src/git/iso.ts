// isomorphic-git, loaded on first use: it is large, and most rx commands never touch git
// objects, so importing it eagerly would cost every command ~90 ms of start-up.
type IsoGit = typeof import('isomorphic-git').default;

let loaded: Promise<IsoGit> | undefined;

export function iso(): Promise<IsoGit> {
  loaded ??= import('isomorphic-git').then((m) => m.default);
  return loaded;
}
