using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Intercept;

/// <summary>Turning interception on and off, and deciding held messages. Refusals are <see cref="CommandException"/>s.</summary>
internal sealed class InterceptCommands(ListenerManager listeners, DataPlane plane, AuditLog audit)
{
    public InterceptInfo Get(string listenerId) => Describe(RelayListener(listenerId).Intercept);

    public InterceptInfo Set(string listenerId, InterceptRequest request, Actor actor)
    {
        var listener = RelayListener(listenerId);
        if (!request.Enabled)
        {
            listener.Intercept = null;
            plane.Held.ReleaseAll(listener.Id);
            audit.Record(actor, "intercept.set", $"listener {listener.Id}", detail: "off");
            return Describe(null);
        }

        Direction? direction = request.Direction?.Trim().ToLowerInvariant() switch
        {
            null or "" or "both" => null,
            "in" => Direction.In,
            "out" => Direction.Out,
            _ => throw CommandException.BadInput($"Unknown direction '{request.Direction}': use in, out or both."),
        };
        if (!string.IsNullOrEmpty(request.Match) && !string.IsNullOrEmpty(request.MatchHex))
        {
            throw CommandException.BadInput("Give match (text) or matchHex (bytes), not both.");
        }

        byte[] pattern = [];
        if (!string.IsNullOrEmpty(request.MatchHex) && !PayloadEncoding.TryDecode(request.MatchHex, PayloadEncoding.Hex, out pattern, out var error))
        {
            throw CommandException.BadInput($"matchHex: {error}");
        }

        if (!string.IsNullOrEmpty(request.Match))
        {
            pattern = System.Text.Encoding.UTF8.GetBytes(request.Match);
        }

        listener.Intercept = new InterceptRule(direction, pattern, NullIfEmpty(request.Match), NullIfEmpty(request.MatchHex));
        audit.Record(actor, "intercept.set", $"listener {listener.Id}", detail: $"on ({Describe(listener.Intercept).Direction})");
        return Describe(listener.Intercept);
    }

    public HeldReleasedInfo Forward(long heldId, string? data, string? encoding, Actor actor)
    {
        var replacement = data is null ? null : InjectedPayload.Decode(data, encoding, plane.Options.Limits.MaxSendBytes);
        var released = plane.Held.Forward(heldId, replacement);
        audit.Record(actor, "held.forward", $"held {heldId}", released.Size, $"session {released.SessionId}");
        return released;
    }

    public HeldReleasedInfo Drop(long heldId, Actor actor)
    {
        var released = plane.Held.Drop(heldId);
        audit.Record(actor, "held.drop", $"held {heldId}", detail: $"session {released.SessionId}");
        return released;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static InterceptInfo Describe(InterceptRule? rule) => rule is null
        ? new InterceptInfo(false, "both", null, null)
        : new InterceptInfo(true, rule.Direction?.ToString().ToLowerInvariant() ?? "both", rule.Match, rule.MatchHex);

    private GatewayListener RelayListener(string listenerId)
    {
        var listener = listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");
        if (listener.Upstream is null)
        {
            throw CommandException.BadInput($"Listener '{listenerId}' is not a relay: only relays forward traffic that could be held.");
        }

        return listener;
    }

}
