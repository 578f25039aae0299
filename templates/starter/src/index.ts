import * as restate from "@restatedev/restate-sdk";
import { greeter } from "./greeter.js";
import { counter } from "./counter.js";
import { signup } from "./signup.js";

// Under `restate-dev up` this registers the services with the local runtime.
// With the real SDK (`npm run build && npm start`) it serves them on port 9080
// for a Restate server: npx @restatedev/restate deployments register http://localhost:9080
restate.endpoint().bind(greeter).bind(counter).bind(signup).listen(9080);
