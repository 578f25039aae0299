import * as restate from "@restatedev/restate-sdk";
import { paymentService } from "./payments.js";
import { cartObject } from "./cart.js";
import { bookingService } from "./booking.js";

restate.endpoint().bind(paymentService).bind(cartObject).bind(bookingService).listen(9080);
