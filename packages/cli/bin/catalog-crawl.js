#!/usr/bin/env node
// A committed entry point, so that the workspace can link this bin before dist/ is built.
import '../dist/bin.js';
