import { fileURLToPath } from 'node:url';

/** The page's script and stylesheet, bundled for the browser. */
export interface PageBundle {
  js: string;
  css: string;
}

export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/**
 * Bundles `page/main.ts` (with the project's browser client, client/index.ts, and uPlot) with
 * esbuild, in memory, once: on the first request for it, so a runtime nobody opens the page of
 * (the tests, the bench) pays nothing. esbuild is a dev dependency, like tsx that runs `npm start`.
 */
export function pageBundler(): () => Promise<PageBundle> {
  let bundle: Promise<PageBundle> | undefined;
  return () =>
    (bundle ??= build().catch((error: unknown) => {
      bundle = undefined; // a failed build (a syntax error being fixed) is tried again on reload
      throw error;
    }));
}

async function build(): Promise<PageBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { main: `${PAGE_DIR}main.ts` },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    outdir: 'dashboard-out', // only names the outputs: nothing is written
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const text = (ext: string): string => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}
