namespace Gateway.Security;

/// <summary>One command that changed something, as <c>GET /api/audit</c> shows it.</summary>
/// <param name="Id">Increasing id (page with <c>beforeId</c>).</param>
/// <param name="At">UTC time of the command.</param>
/// <param name="Key">Name of the API key (<c>anonymous</c> when the gateway is open).</param>
/// <param name="Role">Its role.</param>
/// <param name="Via"><c>api</c> or <c>hub client …</c>.</param>
/// <param name="RemoteIp">Where the request came from.</param>
/// <param name="Action">e.g. <c>send</c>, <c>close</c>, <c>broadcast</c>, <c>listener.create</c>, <c>fault.add</c>, <c>held.forward</c>, <c>replay</c>.</param>
/// <param name="Target">What it acted on: <c>session 12</c>, <c>listener tcp</c>, <c>held 3</c>, …</param>
/// <param name="Bytes">Payload bytes injected, where there were any.</param>
/// <param name="Detail">More about it (a fault's type, a listener's address, a replay's target, …).</param>
public sealed record AuditEntry(
    long Id, DateTimeOffset At, string Key, string Role, string Via, string? RemoteIp, string Action, string Target, long? Bytes, string? Detail);
