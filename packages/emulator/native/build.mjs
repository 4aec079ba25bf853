// Builds the stand-in MQ client library (native/build/libmqm_r.so and the no-op one) against the
// cmqc.h that the installed ibmmq package ships; IBM's header is never copied here.
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const ibmmq = path.dirname(createRequire(import.meta.url).resolve("ibmmq/package.json"))
execFileSync("make", ["-s", "-C", here, `CMQC_DIR=${path.join(ibmmq, "src", "unix")}`], { stdio: "inherit" })
