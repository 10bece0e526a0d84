using System.Collections.Immutable;
using Gateway.Traffic;

namespace Gateway.Hubs;

/// <summary>What one hub client watches: everything, some listeners, some sessions. Immutable; replaced whole on change.</summary>
internal sealed record WatchSet(bool All, ImmutableHashSet<string> Listeners, ImmutableHashSet<long> Sessions)
{
    public const string Usage = "use '*', 'listener:{id}' or 'session:{id}'";

    public static readonly WatchSet None = new(false, ImmutableHashSet.Create<string>(StringComparer.OrdinalIgnoreCase), []);

    public bool Matches(TrafficMessage message) => Matches(message.SessionId, message.ListenerId);

    public bool Matches(long sessionId, string? listenerId) =>
        All || Sessions.Contains(sessionId) || (listenerId is { } listener && Listeners.Contains(listener));

    public WatchSet With(WatchScope scope) => scope.Kind switch
    {
        WatchScopeKind.All => this with { All = true },
        WatchScopeKind.Listener => this with { Listeners = Listeners.Add(scope.ListenerId!) },
        _ => this with { Sessions = Sessions.Add(scope.SessionId) },
    };

    public WatchSet Without(WatchScope scope) => scope.Kind switch
    {
        WatchScopeKind.All => this with { All = false },
        WatchScopeKind.Listener => this with { Listeners = Listeners.Remove(scope.ListenerId!) },
        _ => this with { Sessions = Sessions.Remove(scope.SessionId) },
    };
}

internal enum WatchScopeKind
{
    All,
    Listener,
    Session,
}

/// <summary>A parsed scope string: <c>*</c>, <c>listener:{id}</c> or <c>session:{id}</c>.</summary>
internal readonly record struct WatchScope(WatchScopeKind Kind, string? ListenerId, long SessionId)
{
    public static bool TryParse(string? text, out WatchScope scope)
    {
        scope = default;
        var value = text?.Trim();
        if (value == "*")
        {
            scope = new WatchScope(WatchScopeKind.All, null, 0);
            return true;
        }

        var colon = value?.IndexOf(':') ?? -1;
        if (value is null || colon < 1)
        {
            return false;
        }

        var kind = value[..colon];
        var id = value[(colon + 1)..];
        if (kind.Equals("listener", StringComparison.OrdinalIgnoreCase) && id.Length > 0)
        {
            scope = new WatchScope(WatchScopeKind.Listener, id, 0);
            return true;
        }

        if (kind.Equals("session", StringComparison.OrdinalIgnoreCase) && long.TryParse(id, out var sessionId) && sessionId > 0)
        {
            scope = new WatchScope(WatchScopeKind.Session, null, sessionId);
            return true;
        }

        return false;
    }
}
