#!/usr/bin/env node
import { runCli } from "./main.js";
import { installProcessHygiene } from "./util/process.js";

installProcessHygiene();
process.exitCode = await runCli(process.argv.slice(2));
