using Gateway.Listeners;
using Gateway.Pipeline;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Intercept;

/// <summary>
/// Interception as a shortcut: <c>PUT /api/listeners/{id}/intercept</c> manages one hold rule (id
/// <c>intercept</c>, first in the list), and held messages are decided here. Refusals are <see cref="CommandException"/>s.
/// </summary>
internal sealed class InterceptCommands(RuleCommands rules, DataPlane plane, AuditLog audit, IServiceProvider services)
{
    public const string RuleId = "intercept";

    /// <summary>In a cluster, the way to messages other nodes hold (resolved when first needed, as for session commands).</summary>
    private Cluster.ClusterView? Cluster => plane.Node.InCluster ? services.GetService<Cluster.ClusterView>() : null;

    /// <summary><see cref="Forward"/> for a message held by any node of the cluster.</summary>
    public async Task<HeldReleasedInfo> ForwardAsync(long heldId, string? data, string? encoding, Actor actor) =>
        Cluster is { } cluster && cluster.IsRemote(heldId)
            ? await cluster.DecideHeldAsync(heldId, forward: true, data, encoding, actor).ConfigureAwait(false)
            : Forward(heldId, data, encoding, actor);

    /// <summary><see cref="Drop"/> for a message held by any node of the cluster.</summary>
    public async Task<HeldReleasedInfo> DropAsync(long heldId, Actor actor) =>
        Cluster is { } cluster && cluster.IsRemote(heldId)
            ? await cluster.DecideHeldAsync(heldId, forward: false, null, null, actor).ConfigureAwait(false)
            : Drop(heldId, actor);

    public InterceptInfo Get(string listenerId)
    {
        RelayListener(listenerId);
        return Describe(rules.Find(listenerId, RuleId));
    }

    public InterceptInfo Set(string listenerId, InterceptRequest request, Actor actor)
    {
        var listener = RelayListener(listenerId);
        if (!request.Enabled)
        {
            rules.Upsert(listener, RuleId, null);
            plane.Held.ReleaseAll(listener.Id);
            audit.Record(actor, "intercept.set", $"listener {listener.Id}", detail: "off");
            return Describe(null);
        }

        if (!string.IsNullOrEmpty(request.Match) && !string.IsNullOrEmpty(request.MatchHex))
        {
            throw CommandException.BadInput("Give match (text) or matchHex (bytes), not both.");
        }

        if (!string.IsNullOrEmpty(request.MatchHex) && !PayloadEncoding.TryDecode(request.MatchHex, PayloadEncoding.Hex, out _, out var error))
        {
            throw CommandException.BadInput($"matchHex: {error}");
        }

        var direction = request.Direction?.Trim().ToLowerInvariant();
        if (direction is not (null or "" or "both" or "in" or "out"))
        {
            throw CommandException.BadInput($"Unknown direction '{request.Direction}': use in, out or both.");
        }

        rules.Upsert(listener, RuleId, new RuleSpec
        {
            Name = "interception",
            Direction = direction,
            Match = new MatchSpec { Text = NullIfEmpty(request.Match), Hex = NullIfEmpty(request.MatchHex) },
            Action = new ActionSpec { Type = "hold" },
        });
        var info = Describe(rules.Find(listenerId, RuleId));
        audit.Record(actor, "intercept.set", $"listener {listener.Id}", detail: $"on ({info.Direction})");
        return info;
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

    private static InterceptInfo Describe(Rule? rule) => rule is null
        ? new InterceptInfo(false, "both", null, null)
        : new InterceptInfo(true, rule.Direction?.ToString().ToLowerInvariant() ?? "both", rule.Spec.Match?.Text, rule.Spec.Match?.Hex);

    private GatewayListener RelayListener(string listenerId)
    {
        var listener = rules.Listener(listenerId);
        return listener.IsRelay
            ? listener
            : throw CommandException.BadInput($"Listener '{listenerId}' is not a relay: only relays forward traffic that could be held.");
    }
}
