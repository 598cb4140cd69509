/** The MCP server: the Task State Server's tools and the claim tools, over stdio and Streamable HTTP. */
package io.taskstate.app.mcp;
