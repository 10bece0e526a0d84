using Gateway.Hubs;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class StatsEndpoints
{
    public static RouteGroupBuilder MapStatsEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/stats", (DataPlane plane, ListenerManager listeners, TrafficBroadcaster hub, Capture.CaptureWriter capture, GatewayClock clock, Metrics.HttpConnectionRefusals http, Decoding.DecodingFeed decoding,
            Decoding.Wireshark.WiresharkFeed wireshark, Decoding.Wireshark.WiresharkDissector dissector) =>
            {
                var observers = plane.Bus.Subscriptions
                    .Select(s => new ObserverInfo(s.Name, s.Capacity, s.Pending, s.PendingBytes, s.Dropped))
                    .Append(new ObserverInfo("hub clients", plane.Options.Watch.ClientQueueCapacity, hub.ClientPending, hub.ClientPendingBytes, hub.ClientDropped))
                    .ToArray();
                var totals = plane.Totals;
                var budget = plane.Held.Budget;
                return new StatsInfo(
                    clock.StartedAt, listeners.Listeners.Length, plane.Sessions.OpenCount, totals.Sessions,
                    totals.BytesIn, totals.BytesOut, totals.MessagesIn, totals.MessagesOut, plane.LastSeq,
                    plane.Bus.Dropped + hub.ClientDropped, hub.ClientCount, observers, capture.Stats(), totals.Refused,
                    new HeldStats(plane.Held.Count, budget.Bytes, budget.MaxPerSession, budget.Max, budget.DroppedDatagrams, budget.DroppedBytes),
                    http.Refused,
                    new DecodingStats(decoding.Decoded, decoding.Dropped, decoding.Pending,
                        new WiresharkStats(dissector.Tshark is not null, wireshark.Decoded, wireshark.Skipped, wireshark.Pending)));
            })
            .WithTags("Stats")
            .WithSummary("Totals, events dropped by observers that fell behind, and the capture store's accounting.");
        return api;
    }
}
