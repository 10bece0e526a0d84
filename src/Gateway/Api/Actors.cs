using Gateway.Security;

namespace Gateway.Api;

internal static class Actors
{
    /// <summary>Who issued a REST command: the key behind the request and its address.</summary>
    public static Actor Of(HttpContext context) => Actor.Of(context, "api");
}
