using System.Security.Claims;

namespace Gateway.Security;

/// <summary>The caller as <c>GET /api/me</c> shows it, for the dashboard to hide what the role may not use.</summary>
/// <param name="Name">The key's name (<c>anonymous</c> when open).</param>
/// <param name="Role"><c>viewer</c>, <c>operator</c> or <c>admin</c>.</param>
/// <param name="Open">True when no keys are configured: everything is allowed (loopback only).</param>
public sealed record Me(string Name, string Role, bool Open)
{
    internal static Me Of(HttpContext context, ApiKeys keys) =>
        new(context.User.Identity?.Name ?? "", context.User.FindFirstValue(ClaimTypes.Role) ?? "", keys.Open);
}
