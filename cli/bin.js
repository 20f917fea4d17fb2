#!/usr/bin/env node
// The `qosgate` bin: runs the TypeScript CLI through tsx (a dev dependency), no build step.
import { register } from 'tsx/esm/api';

register();
await import('./qosgate.ts');
