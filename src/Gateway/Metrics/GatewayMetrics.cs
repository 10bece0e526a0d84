using System.Diagnostics.Metrics;
using Gateway.Capture;
using Gateway.Connections;
using Gateway.Hubs;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Metrics;

/// <summary>
/// The meter <c>Gateway</c>, exported at <c>/metrics</c> in Prometheus text format. Almost everything is an
/// observable instrument read from counters the data plane keeps anyway, so the sockets pay nothing for
/// it; only control-plane events (injections, capture batches) record into instruments directly.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    public GatewayMetrics(IMeterFactory meters, DataPlane plane, ListenerManager listeners, OutboundSessions outbound,
        TrafficBroadcaster hub, CaptureWriter capture, Decoding.Wireshark.WiresharkFeed wireshark)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableUpDownCounter("gateway.sessions.open", () =>
            listeners.Listeners.Select(l => new Measurement<long>(l.Snapshot().Sessions, Listener(l.Id)))
                .Append(new Measurement<long>(outbound.Open, Listener("outbound"))),
            unit: "{session}", description: "Sessions open now, per listener (outbound: the gateway's own connections).");
        meter.CreateObservableCounter("gateway.sessions.opened", () =>
            listeners.Listeners.Select(l => new Measurement<long>(l.Snapshot().SessionsTotal, Listener(l.Id))),
            unit: "{session}", description: "Sessions accepted since start, per listener.");
        meter.CreateObservableCounter("gateway.sessions.refused", () =>
            listeners.Listeners.Select(l => new Measurement<long>(l.Refused, Listener(l.Id))),
            unit: "{session}", description: "Connections or UDP peers refused at a session limit, per listener.");
        meter.CreateObservableCounter("gateway.listener.traffic", () =>
            listeners.Listeners.SelectMany(l =>
            {
                var info = l.Snapshot();
                return new[]
                {
                    new Measurement<long>(info.BytesIn, Listener(l.Id), Direction("in")),
                    new Measurement<long>(info.BytesOut, Listener(l.Id), Direction("out")),
                };
            }),
            unit: "By", description: "Payload bytes per listener and direction (in: from the peer).");
        meter.CreateObservableCounter("gateway.traffic", () => new[]
            {
                new Measurement<long>(plane.Totals.BytesIn, Direction("in")),
                new Measurement<long>(plane.Totals.BytesOut, Direction("out")),
            },
            unit: "By", description: "Payload bytes of every session, by direction.");
        meter.CreateObservableCounter("gateway.messages", () => new[]
            {
                new Measurement<long>(plane.Totals.MessagesIn, Direction("in")),
                new Measurement<long>(plane.Totals.MessagesOut, Direction("out")),
            },
            unit: "{message}", description: "Messages (reads, frames or datagrams) of every session, by direction.");
        meter.CreateObservableCounter("gateway.observer.dropped", () =>
            plane.Bus.Subscriptions.Select(s => new Measurement<long>(s.Dropped, Observer(s.Name)))
                .Append(new Measurement<long>(hub.ClientDropped, Observer("hub clients"))),
            unit: "{event}", description: "Events an observer lost because it fell behind.");
        meter.CreateObservableGauge("gateway.hub.clients", () => hub.ClientCount,
            unit: "{client}", description: "SignalR clients connected.");
        meter.CreateObservableGauge("gateway.capture.pending", () => capture.Stats().BytesPending,
            unit: "By", description: "Capture writer lag: payload bytes recorded but not yet committed.");
        meter.CreateObservableCounter("gateway.capture.payload", () =>
            {
                var stats = capture.Stats();
                return new[]
                {
                    new Measurement<long>(stats.BytesCaptured, State("captured")),
                    new Measurement<long>(stats.BytesDropped, State("dropped")),
                };
            },
            unit: "By", description: "Payload bytes the capture store committed, and those it dropped.");
        meter.CreateObservableCounter("gateway.decoding.wireshark.skipped", () => wireshark.Skipped,
            unit: "{skip}", description: "Times messages of sessions read by Wireshark went without a summary (the decoding queue's own losses are gateway.observer.dropped{observer=decoding}).");
    }

    private static KeyValuePair<string, object?> Listener(string id) => new("listener", id);

    private static KeyValuePair<string, object?> Direction(string direction) => new("direction", direction);

    private static KeyValuePair<string, object?> Observer(string name) => new("observer", name);

    private static KeyValuePair<string, object?> State(string state) => new("state", state);
}
