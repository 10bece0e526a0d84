using System.Security.Claims;

namespace Gateway.Security;

/// <summary>Who issued a command: the key (name and role), how (REST or a hub connection) and from where.</summary>
internal sealed record Actor(string Via, string KeyName, string Role, string? RemoteIp)
{
    /// <summary>For close reasons and log lines: <c>api (127.0.0.1)</c>, <c>api 'ops' (10.0.0.5)</c>, <c>hub client X 'ops' (…)</c>.</summary>
    public override string ToString() =>
        KeyName == ApiKeyAuthenticationHandler.OpenName ? $"{Via} ({RemoteIp})" : $"{Via} '{KeyName}' ({RemoteIp})";

    public static Actor Of(HttpContext context, string via) => new(
        via,
        context.User.Identity?.Name ?? ApiKeyAuthenticationHandler.OpenName,
        context.User.FindFirstValue(ClaimTypes.Role) ?? "",
        context.Connection.RemoteIpAddress?.ToString());

    /// <summary>The gateway itself (e.g. at start-up from configuration).</summary>
    public static readonly Actor Gateway = new("gateway", "configuration", Roles.Admin, null);
}
