using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Intercept;

/// <summary>Turning interception on and off, and deciding held messages. Refusals are <see cref="CommandException"/>s.</summary>
internal sealed partial class InterceptCommands(ListenerManager listeners, DataPlane plane, ILogger<InterceptCommands> logger)
{
    public InterceptInfo Get(string listenerId) => Describe(RelayListener(listenerId).Intercept);

    public InterceptInfo Set(string listenerId, InterceptRequest request, string actor)
    {
        var listener = RelayListener(listenerId);
        if (!request.Enabled)
        {
            listener.Intercept = null;
            plane.Held.ReleaseAll(listener.Id);
            Changed(logger, actor, listener.Id, "off");
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
        Changed(logger, actor, listener.Id, $"on ({Describe(listener.Intercept).Direction})");
        return Describe(listener.Intercept);
    }

    public HeldReleasedInfo Forward(long heldId, string? data, string? encoding, string actor)
    {
        var replacement = data is null ? null : InjectedPayload.Decode(data, encoding, plane.Options.Limits.MaxSendBytes);
        var released = plane.Held.Forward(heldId, replacement);
        Decided(logger, actor, heldId, released.Action, released.Size);
        return released;
    }

    public HeldReleasedInfo Drop(long heldId, string actor)
    {
        var released = plane.Held.Drop(heldId);
        Decided(logger, actor, heldId, released.Action, 0);
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

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "{Actor} turned interception {State} on {Listener}")]
    private static partial void Changed(ILogger logger, string actor, string listener, string state);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "{Actor} {Action} held message {HeldId} ({Bytes} bytes)")]
    private static partial void Decided(ILogger logger, string actor, long heldId, string action, int bytes);
}
