using Gateway.Capture;
using Gateway.Traffic;

namespace Gateway.Security;

/// <summary>
/// The audit trail: every injection, close, broadcast, listener/connection/fault change, intercept
/// decision and replay is logged (structured: key, role, action, target, bytes, remote address) and kept
/// in the capture store, through the same writer as the traffic (rare, so never dropped).
/// </summary>
internal sealed partial class AuditLog(CaptureFeed capture, TimeProvider time, ILogger<AuditLog> logger)
{
    public void Record(Actor actor, string action, string target, long? bytes = null, string? detail = null)
    {
        var entry = new AuditEntry(0, time.GetUtcNow(), actor.KeyName, actor.Role, actor.Via, actor.RemoteIp, action, target, bytes, detail);
        Logged(logger, action, target, actor.KeyName, actor.Role, actor.Via, actor.RemoteIp, bytes, detail);
        capture.Enqueue(new AuditRecorded(entry));
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information,
        Message = "Audit: {Action} {Target} by key {Key} ({Role}) via {Via} from {RemoteIp}; bytes {Bytes}; {Detail}")]
    private static partial void Logged(ILogger logger, string action, string target, string key, string role, string via, string? remoteIp, long? bytes, string? detail);
}

/// <summary>An audit entry on its way to the store.</summary>
internal sealed record AuditRecorded(AuditEntry Entry) : TrafficEvent;
