"""The course's applications (part II of the book): each module is the tested code behind one chapter.

``forecasting``   forecasting a series: baselines, an LSTM forecaster, multi-step forecasts, intervals
"""
