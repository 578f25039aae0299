// services/booking.ts — Saga with automatic rollback
import * as restate from "@restatedev/restate-sdk";
import { carApi, flightApi, hotelApi } from "./fakes.js";

export type TripRequest = { flight: string; hotel: string; car: string };

export const bookingService = restate.service({
  name: "booking",
  handlers: {
    async bookTrip(ctx: restate.Context, trip: TripRequest) {
      let flightId: string | null = null;
      let hotelId: string | null = null;
      try {
        flightId = await ctx.run("book-flight", () => flightApi.book(trip.flight));
        hotelId = await ctx.run("book-hotel", () => hotelApi.book(trip.hotel));
        const carId = await ctx.run("book-car", () => carApi.book(trip.car));
        return { flightId, hotelId, carId, status: "confirmed" };
      } catch (error) {
        // Compensate: cancel what was already booked (each compensation is durable too)
        if (hotelId) await ctx.run("cancel-hotel", () => hotelApi.cancel(hotelId!));
        if (flightId) await ctx.run("cancel-flight", () => flightApi.cancel(flightId!));
        throw error;
      }
    },
  },
});
