#!/usr/bin/env node
// The `spc` command. TypeScript sources run through tsx's require hook, so there is no build step
// between a clone and a working command.
require('tsx/cjs');
require('../cli/main.ts');
