#pragma once

// What differs between tfplugin6 and tfplugin5 for terraform::serve (serve.cpp): the method
// names and the message types of each protocol, which one template serves.

#include <rpcplugin/terraform/protocol.hpp>

namespace rpcplugin::terraform::detail
{

struct v6
{
    static constexpr const char* prefix = "/tfplugin6.Provider/";
    static constexpr const char* get_schema = "GetProviderSchema";
    static constexpr const char* validate_provider = "ValidateProviderConfig";
    static constexpr const char* validate_resource = "ValidateResourceConfig";
    static constexpr const char* validate_data = "ValidateDataResourceConfig";
    static constexpr const char* configure = "ConfigureProvider";
    static constexpr const char* stop = "StopProvider";
    using GetMetadata = tfplugin6::GetMetadataCall;
    using GetProviderSchema = tfplugin6::GetProviderSchema;
    using ValidateProvider = tfplugin6::ValidateProviderConfig;
    using ValidateResource = tfplugin6::ValidateResourceConfig;
    using ValidateData = tfplugin6::ValidateDataResourceConfig;
    using UpgradeResourceState = tfplugin6::UpgradeResourceState;
    using Configure = tfplugin6::ConfigureProvider;
    using ReadResource = tfplugin6::ReadResource;
    using PlanResourceChange = tfplugin6::PlanResourceChange;
    using ApplyResourceChange = tfplugin6::ApplyResourceChange;
    using ImportResourceState = tfplugin6::ImportResourceState;
    using ReadDataSource = tfplugin6::ReadDataSource;
    using GetFunctions = tfplugin6::GetFunctions;
    using CallFunction = tfplugin6::CallFunction;
    using Stop = tfplugin6::StopProvider;
    using Function = tfplugin6::Function;
};

struct v5
{
    static constexpr const char* prefix = "/tfplugin5.Provider/";
    static constexpr const char* get_schema = "GetSchema";
    static constexpr const char* validate_provider = "PrepareProviderConfig";
    static constexpr const char* validate_resource = "ValidateResourceTypeConfig";
    static constexpr const char* validate_data = "ValidateDataSourceConfig";
    static constexpr const char* configure = "Configure";
    static constexpr const char* stop = "Stop";
    using GetMetadata = tfplugin5::GetMetadataCall;
    using GetProviderSchema = tfplugin5::GetProviderSchema;
    using ValidateProvider = tfplugin5::PrepareProviderConfig;
    using ValidateResource = tfplugin5::ValidateResourceTypeConfig;
    using ValidateData = tfplugin5::ValidateDataSourceConfig;
    using UpgradeResourceState = tfplugin5::UpgradeResourceState;
    using Configure = tfplugin5::Configure;
    using ReadResource = tfplugin5::ReadResource;
    using PlanResourceChange = tfplugin5::PlanResourceChange;
    using ApplyResourceChange = tfplugin5::ApplyResourceChange;
    using ImportResourceState = tfplugin5::ImportResourceState;
    using ReadDataSource = tfplugin5::ReadDataSource;
    using GetFunctions = tfplugin5::GetFunctions;
    using CallFunction = tfplugin5::CallFunction;
    using Stop = tfplugin5::Stop;
    using Function = tfplugin5::Function;
};

} // namespace rpcplugin::terraform::detail
