import * as path from "node:path"
import { layerSqlite } from "../../src/index.ts"

/** The store the conformance suite runs, over a database file in its location (a folder). */
export const storeIn = (location: string) => layerSqlite({ filename: path.join(location, "buffer.db") })
